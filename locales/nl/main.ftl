skip-to-content = Naar de inhoud
nav-label = Hoofdmenu
nav-work = Mijn werk
nav-clients = Cliënten
nav-partners = Partners
nav-team = Team
nav-logout = Afmelden
form-problem = Dit is nog niet goed
form-save = Opslaan
form-cancel = Annuleren
form-required = verplicht

error-title = Er ging iets mis
error-back-home = Terug naar Mijn werk
error-to-login = Naar aanmelden
error-not-found-title = Niet gevonden
error-not-found-body = Deze pagina bestaat niet, of u mag hem niet zien.
error-forbidden-title = Geen toegang
error-forbidden-body = Uw rol geeft geen toegang tot deze pagina.
error-method-title = Niet mogelijk
error-method-body = Deze pagina kan dit niet.
error-csrf-title = Formulier verlopen
error-csrf-body = Dit formulier is verlopen of kwam niet van Brug. Open de pagina opnieuw en probeer het nog eens.
error-form-title = Formulier niet gelezen
error-form-body = Dit formulier kon niet gelezen worden. Open de pagina opnieuw en probeer het nog eens.
error-unavailable-body = Brug kan de gegevens nu niet bereiken. Probeer het over een minuut opnieuw.
error-internal-body = Er ging iets mis aan onze kant. Het is vastgelegd; probeer het later opnieuw.

login-title = Aanmelden
login-email = E-mailadres
login-password = Wachtwoord
login-submit = Aanmelden
login-failed = Het e-mailadres of het wachtwoord klopt niet.
login-throttled = Te veel mislukte pogingen vanaf dit adres. { $minutes ->
    [1] Probeer het over een minuut opnieuw.
   *[other] Probeer het over { $minutes } minuten opnieuw.
}

invite-title = Wachtwoord instellen
invite-for = Kies een wachtwoord voor { $email }.
invite-password = Nieuw wachtwoord
invite-password-hint = Minstens 12 tekens. Een zin van een paar woorden is sterk en goed te onthouden.
invite-again = Nogmaals
invite-submit = Wachtwoord instellen
invite-differ = De twee wachtwoorden zijn niet gelijk.
invite-rules = Kies een wachtwoord van minstens { $min } tekens dat niet uw e-mailadres is.
invite-gone-title = Uitnodiging niet geldig
invite-gone-body = Deze link is al gebruikt, verlopen of onbekend. Vraag de beheerder om een nieuwe.

work-title = Mijn werk
work-empty = Er wacht nu niets op u.
work-intro = { $count ->
    [one] Er wacht één ding op u.
   *[other] Er wachten { $count } dingen op u.
}
work-col-why = Wat
work-col-who = Cliënt
work-col-when = Wanneer
work-overdue = te laat
work-talk-due = Gesprek gepland
work-consent-expiring = Toestemming verloopt
work-acknowledge-overdue = Partner heeft verwijzing niet bevestigd
work-decision-overdue = Partner heeft niet beslist
work-declined = Verwijzing afgewezen, nog niet elders verstuurd
work-plan-waiting = Re-integratieplan wacht op goedkeuring
work-checklist-due = Vertrektaak van de organisatie
work-not-departed = Niet vertrokken na gepland vertrek
work-monitoring-missed = Monitoringbezoek gemist
work-sustainability-alert = Duurzaamheidssignaal: herzie het re-integratieplan
work-consent-expired = Toestemming verlopen: de partner ziet geen persoonsgegevens meer (voor nieuwe toestemming: annuleer en verwijs opnieuw door)

team-title = Team
team-people = Medewerkers en hun caseload
team-name = Naam
team-roles = Rollen
team-clients = Cliënten
team-cases = Lopende trajecten
team-disabled = uitgeschakeld
team-users-hint = Medewerkers, rollen en wachtwoorden beheert de beheerder met `brug user` (zie de README).
team-move-client = Cliënt overdragen
team-move-case = Terugkeertraject overdragen
team-move-caseload = Hele caseload overdragen
team-reference = Referentie van de cliënt
team-reference-hint = Bijvoorbeeld TO-7K3M9.
team-case-reference-hint = De cliënt van het lopende terugkeertraject, bijvoorbeeld TO-7K3M9.
team-to-counsellor = Naar consulent
team-to-caseworker = Naar trajectbegeleider
team-kind = Wat
team-from = Van
team-to = Naar
team-move-submit = Overdragen
team-move-caseload-submit = Caseload overdragen
team-moved = { $count ->
    [0] Er was niets over te dragen.
    [one] Eén dossier is overgedragen.
   *[other] { $count } dossiers zijn overgedragen.
}
caseload-clients = De cliënten van een consulent
caseload-return-cases = De lopende terugkeertrajecten van een trajectbegeleider
role-counsellor = consulent
role-caseworker = trajectbegeleider
role-lead = programmaleider
role-admin = beheerder
form-fields-invalid = { $count ->
    [one] Eén veld is nog niet goed.
   *[other] { $count } velden zijn nog niet goed.
}
team-invite = Collega uitnodigen
team-invite-submit = Uitnodigen
team-invited = Uitnodiging voor { $email }. Geef deze link zelf door (Brug verstuurt geen e-mail); hij werkt één keer, 72 uur lang:
team-disable = Uitschakelen…
team-disable-explained = Tokens en sessies stoppen direct. De caseload blijft staan tot u die overdraagt.
team-disable-confirm = { $email } uitschakelen
team-disable-self = U kunt uzelf niet uitschakelen.
