# E-mailmeldingen (src/mailer): wat er wacht, een referentie en een link,
# nooit een naam of iets anders over een persoon.
mail-referral-requested-subject = Er wacht een nieuwe doorverwijzing
mail-referral-requested-body = Er wacht in Brug een nieuwe doorverwijzing op uw organisatie.
mail-referral-cancelled-subject = Een doorverwijzing is geannuleerd
mail-referral-cancelled-body = Een doorverwijzing naar uw organisatie is geannuleerd.
mail-plan-returned-subject = Een re-integratieplan is teruggestuurd
mail-plan-returned-body = Een re-integratieplan is met een opmerking teruggestuurd naar uw organisatie.
mail-monitoring-due-subject = Een monitoringbezoek is aan de beurt
mail-monitoring-due-body = Een monitoringbezoek voor een doorverwijzing van uw organisatie is aan de beurt.
mail-draft-waiting-subject = Een concept wacht op uw akkoord
mail-draft-waiting-body = Een concept wacht op het akkoord van een coördinator voordat het wordt verstuurd.
mail-plan-to-approve-subject = Een plan wacht op uw goedkeuring
mail-plan-to-approve-body = Een partner heeft een re-integratieplan ingediend voor een van uw zaken.
mail-count =
    { $count ->
        [one] Er wacht één ding op u.
       *[other] Er wachten { $count } dingen op u.
    }
mail-reference = Referentie: { $value }
mail-open = Open het in Brug: { $value }
mail-why = U krijgt deze e-mail omdat u Brug hebt gevraagd u te laten weten wanneer er iets op u wacht. Er staan geen persoonsgegevens in: log in om de details te zien.
