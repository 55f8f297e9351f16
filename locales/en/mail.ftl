# Email notifications (src/mailer): what waits, a reference and a link,
# never a name or anything else about a person.
mail-referral-requested-subject = A new referral is waiting
mail-referral-requested-body = A new referral is waiting for your organisation in Brug.
mail-referral-cancelled-subject = A referral was cancelled
mail-referral-cancelled-body = A referral to your organisation was cancelled.
mail-plan-returned-subject = A reintegration plan was returned to you
mail-plan-returned-body = A reintegration plan was returned to your organisation with a comment.
mail-monitoring-due-subject = A monitoring visit is due
mail-monitoring-due-body = A monitoring visit is due for a referral of your organisation.
mail-draft-waiting-subject = A draft waits for your sign-off
mail-draft-waiting-body = A draft waits for a coordinator's sign-off before it is sent.
mail-plan-to-approve-subject = A plan is waiting for your approval
mail-plan-to-approve-body = A partner submitted a reintegration plan for one of your cases.
mail-count =
    { $count ->
        [one] One thing waits for you.
       *[other] { $count } things wait for you.
    }
mail-reference = Reference: { $value }
mail-open = Open it in Brug: { $value }
mail-why = You receive this email because you asked Brug to tell you when something waits for you. It holds no personal data: sign in to see the details.
