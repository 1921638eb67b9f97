"""POST /api/bot/chat: the support chat on the bot tools (issue 13, item 5; being built)."""
