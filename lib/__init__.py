"""Domain-free helpers shared by the apps: they know nothing of programmes, UE or grades."""
