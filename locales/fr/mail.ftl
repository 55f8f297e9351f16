# Notifications par e-mail (src/mailer) : ce qui attend, une référence et
# un lien, jamais un nom ni rien d'autre sur une personne.
mail-referral-requested-subject = Une nouvelle orientation vous attend
mail-referral-requested-body = Une nouvelle orientation attend votre organisation dans Brug.
mail-referral-cancelled-subject = Une orientation a été annulée
mail-referral-cancelled-body = Une orientation vers votre organisation a été annulée.
mail-plan-returned-subject = Un plan de réintégration vous a été renvoyé
mail-plan-returned-body = Un plan de réintégration a été renvoyé à votre organisation avec un commentaire.
mail-monitoring-due-subject = Une visite de suivi est à faire
mail-monitoring-due-body = Une visite de suivi est à faire pour une orientation de votre organisation.
mail-draft-waiting-subject = Un brouillon attend votre validation
mail-draft-waiting-body = Un brouillon attend la validation d'un coordinateur avant d'être envoyé.
mail-plan-to-approve-subject = Un plan attend votre approbation
mail-plan-to-approve-body = Un partenaire a soumis un plan de réintégration pour l'un de vos dossiers.
mail-count =
    { $count ->
        [one] Une chose vous attend.
       *[other] { $count } choses vous attendent.
    }
mail-reference = Référence : { $value }
mail-open = Ouvrez-la dans Brug : { $value }
mail-why = Vous recevez cet e-mail parce que vous avez demandé à Brug de vous prévenir quand quelque chose vous attend. Il ne contient aucune donnée personnelle : connectez-vous pour voir les détails.
