-- A test may draw its questions from a bank, so an attempt records what it showed: the
-- questions' keys and each one's choices in the order shown ([{"key": "3", "order": [2, 0, 1]}]).
-- Null: every question of the version, in order, choices as written (the shipped tests).
alter table test_attempts add column shown jsonb;

-- An answer is the choices given, by their index in the question as written (a ○× question's
-- choices are ○ then ×), so one column holds ○×, one-choice and several-choice answers alike.
alter table test_answers add column chosen smallint[];
update test_answers set chosen = case when answer then '{0}'::smallint[] else '{1}'::smallint[] end;
alter table test_answers alter column chosen set not null;
alter table test_answers add constraint test_answers_chosen check (cardinality(chosen) between 1 and 5);
alter table test_answers drop column answer;
