package dev.rollback.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * How a {@link FileJournal} opens its run files, their readers and its directory: the file system,
 * or in a test a double that records what was written and forced.
 */
@FunctionalInterface
interface JournalFiles {
  JournalFiles SYSTEM = FileChannel::open;

  FileChannel open(Path path, OpenOption... options) throws IOException;
}
