"""Form entry: pages of question widgets over a `FormSession`, keyboard first."""
