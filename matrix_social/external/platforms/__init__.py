"""The platforms, one module each: everything a platform is and does, declared in its module."""
