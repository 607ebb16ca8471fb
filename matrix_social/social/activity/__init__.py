"""Activity sharing: activities in, settings (the user's account data is the truth),
drafts, daily and weekly summaries, the AI's side, and the scheduler that publishes them."""
