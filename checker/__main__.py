from .cli import entry

if __name__ == "__main__":  # guarded: worker processes re-import the main module
    entry()
