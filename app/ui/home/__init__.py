"""The home screen: the study, its forms, the cases, drafts and what awaits export."""
