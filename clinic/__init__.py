"""Code shared by the action server, the web app and the content tools."""
