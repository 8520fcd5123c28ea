"""The shell: sign-in, the main window, and the flow between them."""
