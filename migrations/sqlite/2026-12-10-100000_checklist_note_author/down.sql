ALTER TABLE checklist_items DROP COLUMN note_by_type;
