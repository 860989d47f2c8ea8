"""The oct8ne platform: link-up and update client, effective credentials."""
