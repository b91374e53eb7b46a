-- 开始处置 while an alert awaits review (待复核): the duty officers are handling it (who, when, how). Like
-- reviews.acked_* (050) it is not the unit's: the alert stays unacknowledged, and the unit's escalation
-- starts when the review forwards. 处置完毕 while held closes the review as state 'resolved' (the
-- association handled it, the unit is never told), with who/when/how in forwarded_by/forwarded_at/via.
ALTER TABLE reviews ADD COLUMN handling_at TEXT;
ALTER TABLE reviews ADD COLUMN handling_by TEXT;
ALTER TABLE reviews ADD COLUMN handling_via TEXT;
