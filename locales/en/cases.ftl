# Return case: opening one and following it to closure.
case-title = Return case of { $name }
case-client = Client
case-members = Travelling along
case-destination = Destination
case-region = Region
case-needs = Needs
case-needs-none = none given
case-planned-departure = Planned departure
case-status = Status
case-caseworker = Caseworker
case-opened = Opened
case-by-at = { $when } by { $who }
case-by-system = Brug (automatic)
case-talk = Talk
case-talk-link = The talk in which the client chose to return
case-closed = Closed
case-late = late
case-reason = Reason

case-problem-title = This did not work
case-problem-step = This step is not possible now. Brug says why:
case-problem-fields = Something is not right yet. See the fields below.
case-problem-consent = No valid consent of the client covers this referral. Record the consent first.
case-consent-record = Record consent
case-consent-covers = Consent of { $given } covers this referral.
case-consent-not-covered = No consent covers this partner.
case-consent-none = The client has not given consent yet.

case-matches = Partners that fit
case-matches-intro = The best fitting partner comes first, with the reasons. You choose.
case-reroute-intro = The previous referral is no longer running. Choose another partner to refer again.
case-matches-none = No active partner works in this country.
case-match-score = Fits for { $score } out of 100
case-match-earlier = referred before: { $status }
case-send-button = Send referral to { $partner }

case-referrals = Referrals
case-referrals-none = No referral sent yet.
case-referral-running = A referral is running. Cancel it to refer to another partner.
case-sent-at = Sent
case-acknowledge-due = Acknowledge by
case-decide-due = Decide by
case-done-at = done on { $when }
case-referral-ended = Ended
case-history = Timeline
case-cancel-reason = Reason for cancelling
case-cancel-button = Cancel referral
case-referral-requested = sent
case-referral-received = receipt acknowledged
case-referral-accepted = accepted
case-referral-on-hold = on hold
case-on-hold = On hold
case-on-hold-until = On hold until { $review_on }: { $reason }
case-decline-reason = Reason for declining
case-decline-no-capacity = No capacity
case-decline-not-in-area = Not in the partner's area
case-decline-not-eligible = Not eligible
case-decline-client-unreachable = Client unreachable
case-decline-security-concern = Security concern
case-decline-other = Other reason
case-referral-rejected = declined
case-referral-in-progress = departed
case-referral-completed = completed
case-referral-failed = failed
case-referral-cancelled = cancelled
case-flag-acknowledge-overdue = Acknowledgement overdue
case-flag-decision-overdue = Decision overdue
case-flag-not-departed = Not departed after planned departure
case-flag-consent-expired = Consent ended: the partner sees nothing it covered

case-checklist = Departure checklist
case-item-task = Task
case-item-owner = Who
case-item-due = Due
case-item-status = State
case-item-note = Note
case-item-note-label = Note on { $task }
case-item-done = Done
case-item-na = Not applicable
case-item-reopen = Open again
case-item-state-open = open
case-item-state-done = done
case-item-state-not-applicable = not applicable
case-item-state-blocked = blocked
case-owner-organisation = us (organisation)
case-owner-partner = partner
case-owner-client = client
case-owner-authority = authority
case-task-travel-document = Travel document
case-task-flight = Flight
case-task-medical-fitness-to-fly = Medical fitness to fly
case-task-reintegration-budget = Reintegration budget
case-task-partner-contact-before-departure = Contact with the partner before departure
case-task-luggage = Luggage
case-task-airport-pickup = Airport pick-up
case-task-first-accommodation = First accommodation

case-departure = Departure
case-departed-on = Departed on
case-departure-button = Record departure
case-departed-text = Departed on { $when }.

case-after = After departure
case-departed = Departed
case-arrival = Arrival
case-arrived-received = arrived on { $when } and received by the partner
case-arrived-not-received = arrived on { $when }, not received by the partner
case-not-arrived = not yet confirmed by the partner
case-outcome = Outcome
case-outcome-completed = completed
case-outcome-lost-contact = lost contact
case-outcome-re-migrated = migrated again
case-outcome-withdrew = withdrew
case-outcome-deceased = deceased

case-plan = Reintegration plan
case-plan-state-submitted = submitted, waiting for your decision
case-plan-state-approved = approved
case-plan-state-returned = returned
case-plan-submitted = Submitted
case-plan-version = version { $version }, { $when }
case-plan-decided = Decision
case-plan-comment = Comment on returning
case-plan-need = Need
case-plan-support = Support
case-plan-amount = Amount
case-plan-total = Total
case-plan-approve = Approve plan
case-plan-return = Return with comment
case-plan-return-comment = Comment for the partner
case-plan-return-hint = What should the partner change? At least 3 characters.

case-visits = Monitoring visits
case-visit = Visit
case-visit-held = Held on
case-visit-months = { $count ->
    [one] after { $count } month
   *[other] after { $count } months
}
case-visit-scheduled = scheduled
case-visit-done = done
case-visit-missed = missed
case-score-economic = Economic
case-score-social = Social
case-score-psychosocial = Psychosocial
case-score-overall = Overall
case-no-scores = no scores yet

case-service-housing = housing
case-service-income = income
case-service-education = education
case-service-medical = medical care
case-service-psychosocial = psychosocial support
case-service-legal-documents = legal documents
case-service-family-tracing = family tracing
case-service-airport-pickup = airport pick-up
case-service-temporary-accommodation = temporary accommodation


case-new-title = Open a return case for { $name }
case-new-country = Destination country
case-new-country-hint = Two capital letters, for example GH for Ghana.
case-new-region = Region
case-new-region-hint = Optional. For example GH-AA for Greater Accra.
case-new-talk = Talk
case-new-talk-hint = The talk in which the client said they want to return.
case-new-members = Household members travelling along
case-new-submit = Open return case
case-new-cancel = Back to the client
case-new-existing = To the open return case

# Partner directory
partners-title = Partners
partners-filter = Find partners
partners-filter-country = Country
partners-filter-need = Service
partners-filter-language = Language
partners-filter-submit = Search
partners-filter-clear = Show all partners
partners-filter-problem = A search field is not right. See the field.
partners-none = No partner fits these searches.
partners-count = { $count ->
    [one] One partner.
   *[other] { $count } partners.
}
partners-pages = Pages
partners-next = Next partners
partners-name = Name
partners-countries = Countries
partners-services = Services
partners-languages = Languages
partners-capacity = Places
partners-places = { $open } of { $capacity } taken
partners-status = Status
partners-status-active = active
partners-status-paused = paused
partners-status-inactive = no longer active
partners-referrals = Referrals
partners-no-referrals = Takes no new referrals now.
partners-back = Back to all partners
partners-email = Email
partners-website = Website
partners-phone = Phone
partners-areas = Service area
partners-country = Country
partners-regions = Regions
partners-whole-country = the whole country
partners-contacts = Contacts
partners-contacts-none = No contacts known.
partners-contact-name = Name
partners-contact-role = Role
partners-sla-acknowledge = Acknowledges within
partners-sla-decide = Decides within
partners-sla-default = { $days } (programme default)
partners-working-days = { $count ->
    [one] { $count } working day
   *[other] { $count } working days
}
partners-updated = Updated

case-alerts = Sustainability alerts
case-alert-raised = Alert of { $when }
case-alert-open = open
case-alert-suggestion = Review with the partner whether the reintegration plan needs revisiting, then mark the alert handled.
case-alert-handle = Handled: plan reviewed
case-alert-handled = Handled on { $when }
case-alert-drop = { $dimension }: dropped from { $previous } to { $current }
case-alert-below = { $dimension }: fell below the floor, now { $current }
case-alert-red-flag = { $dimension }: red flag on “{ $question }”: { $answer }
