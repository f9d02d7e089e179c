"""Notifications: webhooks, notification channels and site-health events (docs/notifications.md).

The events are written by the archive itself into its outbox (archive/outbox.py); this
package delivers them: `config` (the `[notify]` table), `signing` (Standard Webhooks),
`webhooks` (signed POSTs under the address policy), `channels` (apprise, digests),
`runner` (`newsarchive notify run`), `health` (site-health events at the end of a run).
"""
