DROP INDEX talks_return_period;
