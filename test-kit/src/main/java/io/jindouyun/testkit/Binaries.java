package io.jindouyun.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds the real binaries the fixtures run, and fails with the Debian package to install. */
public final class Binaries {

  private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/usr/local/sbin", "/sbin");

  private Binaries() {}

  /**
   * Returns the path of {@code name} on the {@code PATH} (or in an sbin folder).
   *
   * @throws IllegalStateException naming {@code debianPackage} when the binary is missing
   */
  public static Path require(String name, String debianPackage) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    dirs.addAll(EXTRA_DIRS);
    for (String dir : dirs) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "'"
            + name
            + "' is not installed: install the Debian package '"
            + debianPackage
            + "' (apt-get install --no-install-recommends "
            + debianPackage
            + ", or run ./jdy test, which installs it)");
  }
}
