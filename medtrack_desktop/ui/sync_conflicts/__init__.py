"""The Sync conflicts module: changes the server kept aside, settled by a person."""
