/**
 * The alert rules a new installation starts with (docs/alert-rules.md, "Default rules"), in the
 * rule language of parseAlertRules. A module rather than a .yaml file so that the build ships it.
 */
export const defaultAlertRulesYaml = `# PACKAGE.broker default alert rules (Sigma, with the extensions of docs/alert-rules.md).
title: Sign-in refused
id: d476aeb8-a6c9-4333-804c-098ff00b7173
name: pb_login_failed
status: stable
description: A failed or locked-out sign-in. Counted by the brute-force and password-spray rules; no alert on its own.
level: informational
logsource:
  product: package-broker
  service: audit
detection:
  selection:
    event: authentication
    action:
      - login_failed
      - login_locked
  condition: selection
---
title: Brute force against one account
id: 5cf781e7-296e-4289-ad5d-0c023f38a702
name: pb_brute_force
status: stable
description: At least 10 failed sign-ins for one account within 10 minutes.
level: high
falsepositives:
  - A person who forgot their password (the login lockout stops them at 10 as well)
correlation:
  type: event_count
  rules:
    - pb_login_failed
  group-by:
    - target.id
  timespan: 10m
  condition:
    gte: 10
suppress: 30m
---
title: Successful sign-in
id: 14e885de-249f-4779-8aff-3d36fca30306
name: pb_login_succeeded
status: stable
description: A sign-in that succeeded. Only the second step of the brute-force sequence; no alert on its own.
level: informational
logsource:
  product: package-broker
  service: audit
detection:
  selection:
    event: authentication
    action: login_succeeded
  condition: selection
---
title: Brute force followed by a successful sign-in
id: c1403c37-6748-4f23-a695-e71964e3b6f3
name: pb_brute_force_then_success
status: stable
description: A brute force against an account, then a successful sign-in to it, all within 30 minutes. The password was probably guessed.
level: critical
correlation:
  type: temporal_ordered
  rules:
    - pb_brute_force
    - pb_login_succeeded
  group-by:
    - target.id
  timespan: 30m
response:
  action: lock-account
  subject: target.id
---
title: Password spray from one network
id: b22ca25b-33be-41a5-aeb0-a84c8f79426c
name: pb_password_spray
status: stable
description: Failed sign-ins for more than 15 distinct accounts from one IPv4 /24 (IPv6 /48) within 5 minutes.
level: high
falsepositives:
  - Many people behind one NAT gateway mistyping at once (unlikely at this rate)
correlation:
  type: value_count
  rules:
    - pb_login_failed
  group-by:
    - pb.ip_network
  timespan: 5m
  condition:
    field: target.id
    gt: 15
suppress: 30m
---
title: Revoked or expired token presented
id: bdc9de79-5fcd-478b-8af8-f3a8d254fbda
name: pb_dead_token
status: stable
description: A request with a revoked or expired token. Counted per token by pb_dead_token_presented.
level: informational
logsource:
  product: package-broker
  service: audit
detection:
  selection:
    event: authentication
    action:
      - token_revoked
      - token_expired
  condition: selection
---
title: Revoked or expired token presented
id: df8add9d-3704-4838-8a82-7073748b6471
name: pb_dead_token_presented
status: stable
description: A revoked or expired token was presented; at most one alert per token per hour.
level: high
falsepositives:
  - A CI job or auth.json still holding a token that was rotated
correlation:
  type: event_count
  rules:
    - pb_dead_token
  group-by:
    - actor.id
  timespan: 1m
  condition:
    gte: 1
suppress: 1h
---
title: Activity of a token
id: e9cfdda6-724c-4411-9087-1099dddcd3c2
name: pb_token_activity
status: stable
description: Any successful event of a request made with a token. Counted by pb_token_many_addresses.
level: informational
logsource:
  product: package-broker
  service: audit
detection:
  selection:
    actor.type: token
    outcome: success
  condition: selection
---
title: One token used from many addresses
id: e14bb5ae-6d03-4257-bcca-5a608ace144a
name: pb_token_many_addresses
status: stable
description: One token used from more than 5 distinct client addresses within an hour (networks when PB_AUDIT_IP_MODE=truncate, pseudonyms when hash). The token has probably leaked.
level: high
falsepositives:
  - A token shared by CI runners with changing addresses
correlation:
  type: value_count
  rules:
    - pb_token_activity
  group-by:
    - actor.id
  timespan: 1h
  condition:
    field: ip_address
    gt: 5
response: suspend-token
suppress: 1h
---
title: Dist download by a token
id: 6945918f-4a16-49b2-b863-4566e80f7027
name: pb_token_download
status: stable
description: A dist served to a token. Counted by the mass-download rules.
level: informational
logsource:
  product: package-broker
  service: audit
detection:
  selection:
    event: package_access
    action: download
    outcome: success
    actor.type: token
  condition: selection
---
title: Mass download of packages
id: 014c08ed-0c90-4b01-8b2f-bb92e0a33ceb
name: pb_mass_download_packages
status: stable
description: One token downloaded dists of more than 200 distinct packages within 10 minutes.
level: high
falsepositives:
  - A fresh composer install of a very large project through the proxy
correlation:
  type: value_count
  rules:
    - pb_token_download
  group-by:
    - actor.id
  timespan: 10m
  condition:
    field: target.name
    gt: 200
response: suspend-token
suppress: 1h
---
title: Mass download of dists
id: a8e71b83-f37a-4755-b611-a7f4e1873446
name: pb_mass_download_dists
status: stable
description: One token downloaded more than 2000 dists within an hour.
level: medium
falsepositives:
  - Many CI jobs without a Composer cache sharing one token
correlation:
  type: event_count
  rules:
    - pb_token_download
  group-by:
    - actor.id
  timespan: 1h
  condition:
    gt: 2000
response: suspend-token
suppress: 1h
---
title: Configuration changed outside business hours
id: eb77a35a-c3bf-4825-829b-d9036bc9d32f
name: pb_configuration_change_outside_business_hours
status: stable
description: A setting was changed (through the API, the console, or the environment between two starts) outside the configured business hours.
level: medium
falsepositives:
  - Planned maintenance at night
logsource:
  product: package-broker
  service: audit
detection:
  selection:
    event: configuration
    action:
      - settings_changed
      - setting_changed
    outcome: success
  business_hours:
    pb.business_hours: true
  condition: selection and not business_hours
---
title: User made admin
id: 92d78842-fcac-4844-be41-f8f79e75d7e5
name: pb_user_made_admin
status: stable
description: A user was created as, changed to, or invited as an admin.
level: high
logsource:
  product: package-broker
  service: audit
detection:
  selection:
    event: user
    outcome: success
    details.after.role: admin
  was_admin:
    details.before.role: admin
  admin_invitation:
    event: user
    action: invited
    outcome: success
    details.role: admin
  condition: (selection and not was_admin) or admin_invitation
---
title: Token given the admin scope
id: d9ee3fd1-5b7a-4547-a237-a3d1c961e40e
name: pb_token_made_admin
status: stable
description: A token was created with, or changed to have, the admin scope.
level: high
logsource:
  product: package-broker
  service: audit
detection:
  selection:
    event: token
    action:
      - created
      - updated
    outcome: success
    details.after.scopes: admin
  had_admin:
    details.before.scopes: admin
  condition: selection and not had_admin
---
title: Audit system changed
id: f06779d6-fa50-40a3-9457-ae68ff9a773a
name: pb_audit_system_changed
status: stable
description: A sink was removed or paused, a sink refused a record for good, the retention purge waits for a sink, the legal hold released, a retention shortened, a new checkpoint signing key created, or the IP mode, signing key or log origin changed.
level: high
logsource:
  product: package-broker
  service: audit
detection:
  audit_change:
    event: audit
    action:
      - sink_removed
      - sink_paused
      - legal_hold_released
      - checkpoint_key_created
    outcome: success
  delivery_held:
    event: audit
    action:
      - retention_held_for_sinks
      - sink_record_parked
  retention_change:
    event: audit
    action: retention_changed
    outcome: success
  retention_shortened:
    pb.retention_shortened: true
  audit_setting:
    event: configuration
    action: setting_changed
    target.name:
      - PB_AUDIT_IP_MODE
      - PB_AUDIT_SIGNING_KEY
      - PB_AUDIT_ORIGIN
  condition: audit_change or delivery_held or (retention_change and retention_shortened) or audit_setting
`;
