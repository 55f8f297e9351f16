# Terugkeertraject: openen en volgen tot de afsluiting.
case-title = Terugkeertraject van { $name }
case-client = Cliënt
case-members = Reist mee
case-destination = Bestemming
case-region = Regio
case-needs = Behoeften
case-needs-none = geen opgegeven
case-planned-departure = Gepland vertrek
case-status = Status
case-caseworker = Trajectbegeleider
case-opened = Geopend
case-by-at = { $when } door { $who }
case-by-system = Brug (automatisch)
case-talk = Gesprek
case-talk-link = Het gesprek waarin de cliënt koos voor terugkeer
case-closed = Afgesloten
case-late = te laat
case-reason = Reden

case-problem-title = Dit lukte niet
case-problem-step = Deze stap kan nu niet. Brug zegt waarom:
case-problem-fields = Dit is nog niet goed. Kijk bij de velden hieronder.
case-problem-consent = Er is geen geldige toestemming van de cliënt die deze verwijzing dekt. Leg eerst de toestemming vast.
case-consent-record = Toestemming vastleggen
case-consent-covers = Toestemming van { $given } dekt deze verwijzing.
case-consent-not-covered = Geen toestemming dekt deze partner.
case-consent-none = De cliënt heeft nog geen toestemming gegeven.

case-matches = Partners die passen
case-matches-intro = De best passende partner staat bovenaan, met de redenen. U kiest.
case-reroute-intro = De vorige verwijzing loopt niet meer. Kies een andere partner om opnieuw te verwijzen.
case-matches-none = Geen actieve partner werkt in dit land.
case-match-score = Past voor { $score } van 100
case-match-earlier = eerder verwezen: { $status }
case-send-button = Verwijzing versturen naar { $partner }

case-referrals = Verwijzingen
case-referrals-none = Nog geen verwijzing verstuurd.
case-referral-running = Er loopt een verwijzing. Annuleer die om naar een andere partner te verwijzen.
case-sent-at = Verstuurd
case-acknowledge-due = Bevestigen uiterlijk
case-decide-due = Beslissen uiterlijk
case-done-at = gedaan op { $when }
case-referral-ended = Beëindigd
case-history = Tijdlijn
case-cancel-reason = Reden van annuleren
case-cancel-button = Verwijzing annuleren
case-referral-requested = verstuurd
case-referral-received = ontvangst bevestigd
case-referral-accepted = geaccepteerd
case-referral-on-hold = in de wacht
case-on-hold = In de wacht
case-on-hold-until = In de wacht tot { $review_on }: { $reason }
case-decline-reason = Reden van afwijzen
case-decline-no-capacity = Geen capaciteit
case-decline-not-in-area = Niet in het werkgebied van de partner
case-decline-not-eligible = Komt niet in aanmerking
case-decline-client-unreachable = Cliënt niet bereikbaar
case-decline-security-concern = Veiligheidsrisico
case-decline-other = Andere reden
case-referral-rejected = afgewezen
case-referral-in-progress = vertrokken
case-referral-completed = afgerond
case-referral-failed = mislukt
case-referral-cancelled = geannuleerd
case-flag-acknowledge-overdue = Bevestiging te laat
case-flag-decision-overdue = Beslissing te laat
case-flag-not-departed = Niet vertrokken na gepland vertrek
case-flag-consent-expired = Toestemming verlopen: de partner ziet niets meer van wat zij dekte

case-checklist = Vertrekchecklist
case-item-task = Taak
case-item-owner = Wie
case-item-due = Uiterlijk
case-item-status = Stand
case-item-note = Notitie
case-item-note-label = Notitie bij { $task }
case-item-done = Gedaan
case-item-na = Niet van toepassing
case-item-reopen = Weer openzetten
case-item-state-open = open
case-item-state-done = gedaan
case-item-state-not-applicable = niet van toepassing
case-item-state-blocked = geblokkeerd
case-owner-organisation = wij (organisatie)
case-owner-partner = partner
case-owner-client = cliënt
case-owner-authority = overheid
case-task-travel-document = Reisdocument
case-task-flight = Vlucht
case-task-medical-fitness-to-fly = Medische verklaring om te vliegen
case-task-reintegration-budget = Re-integratiebudget
case-task-partner-contact-before-departure = Contact met de partner vóór vertrek
case-task-luggage = Bagage
case-task-airport-pickup = Ophalen op het vliegveld
case-task-first-accommodation = Eerste opvang

case-departure = Vertrek
case-departed-on = Vertrokken op
case-departure-button = Vertrek vastleggen
case-departed-text = Vertrokken op { $when }.

case-after = Na vertrek
case-departed = Vertrokken
case-arrival = Aankomst
case-arrived-received = aangekomen op { $when } en opgevangen door de partner
case-arrived-not-received = aangekomen op { $when }, niet opgevangen door de partner
case-not-arrived = nog niet bevestigd door de partner
case-outcome = Uitkomst
case-outcome-completed = afgerond
case-outcome-lost-contact = contact verloren
case-outcome-re-migrated = opnieuw vertrokken
case-outcome-withdrew = teruggetrokken
case-outcome-deceased = overleden

case-plan = Re-integratieplan
case-plan-state-submitted = ingediend, wacht op uw besluit
case-plan-state-approved = goedgekeurd
case-plan-state-returned = teruggestuurd
case-plan-submitted = Ingediend
case-plan-version = versie { $version }, { $when }
case-plan-decided = Besluit
case-plan-comment = Opmerking bij terugsturen
case-plan-need = Behoefte
case-plan-support = Steun
case-plan-amount = Bedrag
case-plan-total = Totaal
case-plan-approve = Plan goedkeuren
case-plan-return = Terugsturen met opmerking
case-plan-return-comment = Opmerking voor de partner
case-plan-return-hint = Wat moet de partner aanpassen? Minstens 3 tekens.

case-visits = Monitoringbezoeken
case-visit = Bezoek
case-visit-held = Gehouden op
case-visit-months = { $count ->
    [one] na { $count } maand
   *[other] na { $count } maanden
}
case-visit-scheduled = gepland
case-visit-done = gedaan
case-visit-missed = gemist
case-score-economic = Economisch
case-score-social = Sociaal
case-score-psychosocial = Psychosociaal
case-score-overall = Geheel
case-no-scores = nog geen scores

case-service-housing = huisvesting
case-service-income = inkomen
case-service-education = onderwijs
case-service-medical = medische zorg
case-service-psychosocial = psychosociale steun
case-service-legal-documents = juridische documenten
case-service-family-tracing = familie opsporen
case-service-airport-pickup = ophalen op het vliegveld
case-service-temporary-accommodation = tijdelijke opvang


case-new-title = Terugkeertraject openen voor { $name }
case-new-country = Land van bestemming
case-new-country-hint = Twee hoofdletters, bijvoorbeeld GH voor Ghana.
case-new-region = Regio
case-new-region-hint = Niet verplicht. Bijvoorbeeld GH-AA voor Greater Accra.
case-new-talk = Gesprek
case-new-talk-hint = Het gesprek waarin de cliënt zei terug te willen keren.
case-new-members = Gezinsleden die meereizen
case-new-submit = Terugkeertraject openen
case-new-cancel = Terug naar de cliënt
case-new-existing = Naar het lopende terugkeertraject

# Partnergids
partners-title = Partners
partners-filter = Partners zoeken
partners-filter-country = Land
partners-filter-need = Dienst
partners-filter-language = Taal
partners-filter-submit = Zoeken
partners-filter-clear = Alle partners tonen
partners-filter-problem = Een zoekveld klopt niet. Kijk bij het veld.
partners-none = Geen partner past bij deze zoekvragen.
partners-count = { $count ->
    [one] Eén partner.
   *[other] { $count } partners.
}
partners-pages = Pagina's
partners-next = Volgende partners
partners-name = Naam
partners-countries = Landen
partners-services = Diensten
partners-languages = Talen
partners-capacity = Plaatsen
partners-places = { $open } van { $capacity } bezet
partners-status = Status
partners-status-active = actief
partners-status-paused = gepauzeerd
partners-status-inactive = niet meer actief
partners-referrals = Verwijzingen
partners-no-referrals = Neemt nu geen nieuwe verwijzingen aan.
partners-back = Terug naar alle partners
partners-email = E-mail
partners-website = Website
partners-phone = Telefoon
partners-areas = Werkgebied
partners-country = Land
partners-regions = Regio's
partners-whole-country = het hele land
partners-contacts = Contactpersonen
partners-contacts-none = Geen contactpersonen bekend.
partners-contact-name = Naam
partners-contact-role = Rol
partners-sla-acknowledge = Bevestigt binnen
partners-sla-decide = Beslist binnen
partners-sla-default = { $days } (standaard van het programma)
partners-working-days = { $count ->
    [one] { $count } werkdag
   *[other] { $count } werkdagen
}
partners-updated = Bijgewerkt

case-alerts = Duurzaamheidssignalen
case-alert-raised = Signaal van { $when }
case-alert-open = open
case-alert-suggestion = Bekijk met de partner of het re-integratieplan moet worden herzien, en markeer het signaal daarna als afgehandeld.
case-alert-handle = Afgehandeld: plan bekeken
case-alert-handled = Afgehandeld op { $when }
case-alert-drop = { $dimension }: gedaald van { $previous } naar { $current }
case-alert-below = { $dimension }: onder de ondergrens gezakt, nu { $current }
case-alert-red-flag = { $dimension }: rode vlag bij „{ $question }”: { $answer }
