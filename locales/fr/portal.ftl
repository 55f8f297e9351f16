# The partner portal (/portal).
portal-title = Portail partenaire Brug
