"""Loopback fakes of X, Mastodon, GitHub and Instagram that speak the platforms' real HTTP shapes
(see /work/shared/PLATFORMS.md): OAuth with PKCE, pagination, rate-limit headers, error bodies."""
