-- A message keeps its body (with its live invitation link) only until it is delivered or given up on;
-- the worker clears it then (see src/mail/outbox.rs). Clear the ones delivered or failed before that.
UPDATE outbox_messages SET message = '' WHERE state IN ('sent', 'failed');
