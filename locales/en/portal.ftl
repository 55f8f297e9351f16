# The partner portal (/portal).
portal-title = Brug partner portal
