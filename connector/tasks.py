"""The background jobs, each named once. jobs/ imports connector, never the reverse, so the web
app and the jobs ask the queue for a job by these names (tests/test_tasks.py checks that each
names a function of jobs/)."""

PROCESS_DELIVERY = "jobs.deliveries.process_delivery"
DELIVER_PUSH = "jobs.pushes.deliver_push"
SEND_EMAIL = "jobs.emails.send_email"
SEND_TEST_EVENT = "jobs.test_events.send_test_event"
PREPARE_PLAYBACK = "jobs.media.prepare_playback"
SEND_SANDBOX_WEBHOOK = "jobs.sandbox.send_webhook"
SEND_SANDBOX_DELETION = "jobs.sandbox.send_deletion"
SWEEP = "jobs.sweeper.sweep"
SEND_DUE_REMINDERS = "jobs.lifecycle.send_due_reminders"
EXPIRE_DUE_SESSIONS = "jobs.lifecycle.expire_due_sessions"
PURGE_DUE_DATA = "jobs.privacy.purge_due_data"
