"""The interview workspace: a guide, timed notes, a clock, recording and bookmarks."""
