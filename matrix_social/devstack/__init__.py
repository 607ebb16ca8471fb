"""A throwaway Synapse on loopback with the appservice registered: the local stack and the tests."""
