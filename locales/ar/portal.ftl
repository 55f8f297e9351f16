# The partner portal (/portal).
portal-title = بوابة شركاء Brug
