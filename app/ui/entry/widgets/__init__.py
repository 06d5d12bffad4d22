"""One module per family of question widgets; `factory.make_widget` picks one."""
