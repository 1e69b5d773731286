-- leadflow schema, version 22: one event vocabulary. Events stored under another name for the
-- same thing take the vocabulary's name (leadflow.model.vocabulary.ALIASES), so triggers, goals,
-- the lead score and learned criteria count them; new events are mapped on the way in.
-- (Versions 19-21 may be taken by other changes; this one depends on none of them.)
-- Never edit a shipped migration: later changes go in a new file.

UPDATE events SET type = 'listing.viewed' WHERE type IN ('property.viewed', 'lead.viewed_property');
UPDATE events SET type = 'listing.saved' WHERE type IN ('property.saved', 'lead.saved_property');
UPDATE events SET type = 'listing.searched' WHERE type = 'property.searched';
UPDATE events SET type = 'site.visited'
    WHERE type IN ('website.visited', 'lead.visited_website', 'page.viewed');
