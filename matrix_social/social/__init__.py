"""The social rules: identities, feeds, follows, posts, explore, profiles."""
