-- Who wrote a checklist item's note (`staff`, `partner`, ...): a partner is
-- shown a note only when it wrote it. Notes written before this column are
-- of unknown author and stay inside.
ALTER TABLE checklist_items ADD COLUMN note_by_type TEXT;
