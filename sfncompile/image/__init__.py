"""The shared runtime image: its build files (shipped in the wheel), ``image build|push``, digests."""
