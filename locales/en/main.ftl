skip-to-content = Skip to content
nav-label = Main menu
nav-work = My work
nav-clients = Clients
nav-partners = Partners
nav-team = Team
nav-logout = Sign out
form-problem = This is not right yet
form-save = Save
form-cancel = Cancel
form-required = required

error-title = Something went wrong
error-back-home = Back to My work
error-to-login = To sign in
error-not-found-title = Not found
error-not-found-body = This page does not exist, or you may not see it.
error-forbidden-title = No access
error-forbidden-body = Your role does not give access to this page.
error-method-title = Not possible
error-method-body = This page cannot do that.
error-csrf-title = Form expired
error-csrf-body = This form has expired or did not come from Brug. Open the page again and try once more.
error-form-title = Form not read
error-form-body = This form could not be read. Open the page again and try once more.
error-unavailable-body = Brug cannot reach its data right now. Try again in a minute.
error-internal-body = Something went wrong on our side. It has been recorded; please try again later.

login-title = Sign in
login-email = Email address
login-password = Password
login-submit = Sign in
login-failed = The email address or the password is not right.
login-throttled = Too many failed attempts from this address. { $minutes ->
    [1] Try again in a minute.
   *[other] Try again in { $minutes } minutes.
}

invite-title = Set your password
invite-for = Choose a password for { $email }.
invite-password = New password
invite-password-hint = At least 12 characters. A sentence of a few words is strong and easy to remember.
invite-again = Again
invite-submit = Set password
invite-differ = The two passwords are not the same.
invite-rules = Choose a password of at least { $min } characters that is not your email address.
invite-gone-title = Invitation not valid
invite-gone-body = This link was used already, has expired or is unknown. Ask the administrator for a new one.

work-title = My work
work-empty = Nothing is waiting for you now.
work-intro = { $count ->
    [one] One thing is waiting for you.
   *[other] { $count } things are waiting for you.
}
work-col-why = What
work-col-who = Client
work-col-when = When
work-overdue = overdue
work-talk-due = Talk planned
work-consent-expiring = Consent expires
work-acknowledge-overdue = Partner has not acknowledged the referral
work-decision-overdue = Partner has not decided
work-declined = Referral declined, not yet sent elsewhere
work-plan-waiting = Reintegration plan waits for approval
work-checklist-due = Departure task of the organisation
work-not-departed = Not departed after planned departure
work-monitoring-missed = Monitoring visit missed
work-sustainability-alert = Sustainability alert: revisit the reintegration plan
work-consent-expired = Consent ended: the partner no longer sees personal data (for a new consent, cancel and refer again)

team-title = Team
team-people = Staff and their caseloads
team-name = Name
team-roles = Roles
team-clients = Clients
team-cases = Open return cases
team-disabled = disabled
team-users-hint = The administrator manages staff, roles and passwords with `brug user` (see the README).
team-move-client = Hand over a client
team-move-case = Hand over a return case
team-move-caseload = Hand over a whole caseload
team-reference = The client's reference
team-reference-hint = For example TO-7K3M9.
team-case-reference-hint = The client of the open return case, for example TO-7K3M9.
team-to-counsellor = To counsellor
team-to-caseworker = To caseworker
team-kind = What
team-from = From
team-to = To
team-move-submit = Hand over
team-move-caseload-submit = Hand over the caseload
team-moved = { $count ->
    [0] There was nothing to hand over.
    [one] One record was handed over.
   *[other] { $count } records were handed over.
}
caseload-clients = A counsellor's clients
caseload-return-cases = A caseworker's open return cases
role-counsellor = counsellor
role-caseworker = caseworker
role-lead = programme lead
role-admin = administrator
form-fields-invalid = { $count ->
    [one] One field is not right yet.
   *[other] { $count } fields are not right yet.
}
team-invite = Invite a colleague
team-invite-submit = Invite
team-invited = Invitation for { $email }. Hand over this link yourself (Brug sends no email); it works once, for 72 hours:
team-disable = Disable…
team-disable-explained = Tokens and sessions stop at once. The caseload stays until you hand it over.
team-disable-confirm = Disable { $email }
team-disable-self = You cannot disable yourself.
