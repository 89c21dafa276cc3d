-- Cleared bodies cannot come back; nothing to undo.
SELECT 1;
