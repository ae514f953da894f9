package dev.rollback.examples.docs;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles the {@code ```java} blocks of documentation files with the JDK's compiler, against the
 * test classpath. Each file has a <em>prelude</em>: a class in this package, compiled with the
 * tests, whose fields and methods are the names the file's examples take as given (a data source,
 * a client, an engine) and whose imports are theirs. Each block becomes the body of a method of a
 * subclass of the prelude, so a block may declare what it likes and use what the prelude declares.
 * Errors are reported at the documentation file's line.
 */
final class DocExamples {
  private static final String PACKAGE = DocExamples.class.getPackageName();
  private static final Path PRELUDES = Path.of("src/test/java", PACKAGE.replace('.', '/'));

  /** A documentation file (relative to the repository root) and the prelude its examples compile in. */
  record Doc(String file, Class<?> prelude) {}

  /** One {@code ```java} block: the file, the line of its first code line, its code without the fence's indentation. */
  record Block(String file, int firstLine, String code) {}

  private DocExamples() {}

  /** The {@code ```java} blocks of {@code markdown}, which is the text of {@code file}. */
  static List<Block> blocks(String file, String markdown) {
    List<Block> blocks = new ArrayList<>();
    List<String> lines = markdown.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (!line.strip().equals("```java")) continue;
      int indent = line.indexOf('`');
      StringBuilder code = new StringBuilder();
      int j = i + 1;
      for (; j < lines.size() && !lines.get(j).strip().equals("```"); j++) {
        String l = lines.get(j);
        code.append(l.length() >= indent && l.substring(0, indent).isBlank() ? l.substring(indent) : l.strip()).append('\n');
      }
      if (j == lines.size()) throw new IllegalArgumentException(file + ":" + (i + 1) + ": a ```java block that never ends");
      blocks.add(new Block(file, i + 2, code.toString()));
      i = j;
    }
    return blocks;
  }

  /** Compiles every block of {@code docs} (read from {@code root}) and returns the errors, each as {@code file:line: message}. */
  static List<String> compile(Path root, List<Doc> docs, Path out) throws IOException {
    List<Unit> units = new ArrayList<>();
    for (Doc doc : docs) {
      String imports = imports(doc.prelude());
      int n = 0;
      for (Block block : blocks(doc.file(), Files.readString(root.resolve(doc.file())))) {
        units.add(new Unit(block, doc.prelude(), imports, ++n));
      }
    }
    return compile(units, out);
  }

  /** The name of the class {@link #compile} makes of the {@code n}th block (from 1) of {@code file}. */
  static String className(String file, int n) {
    return PACKAGE + "." + Unit.className(file, n);
  }

  /** Compiles {@code blocks} with {@code prelude} (for tests of this class). */
  static List<String> compile(List<Block> blocks, Class<?> prelude, Path out) throws IOException {
    String imports = imports(prelude);
    List<Unit> units = new ArrayList<>();
    int n = 0;
    for (Block b : blocks) units.add(new Unit(b, prelude, imports, ++n));
    return compile(units, out);
  }

  private static List<String> compile(List<Unit> units, Path out) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) throw new IllegalStateException("no Java compiler in this JVM (" + System.getProperty("java.home") + "): run the tests on a JDK");
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<String> options = List.of("-d", out.toString(), "-proc:none", "-Xlint:none", "-nowarn",
        "-classpath", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
      javac.getTask(null, files, diagnostics, options, null, units).call();
    }
    List<String> errors = new ArrayList<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.ERROR) continue;
      String where = d.getSource() instanceof Unit u ? u.where(d.getLineNumber()) : String.valueOf(d.getSource());
      errors.add(where + ": " + d.getMessage(Locale.ROOT));
    }
    return errors;
  }

  /** The import lines of the prelude's source. */
  private static String imports(Class<?> prelude) throws IOException {
    Path source = PRELUDES.resolve(prelude.getSimpleName() + ".java");
    StringBuilder imports = new StringBuilder();
    for (String line : Files.readAllLines(source)) {
      if (line.startsWith("import ")) imports.append(line).append('\n');
    }
    return imports.toString();
  }

  /** A block as a compilation unit: the body of {@code example()} in a subclass of the prelude. */
  private static final class Unit extends SimpleJavaFileObject {
    private final Block block;
    private final String text;
    private final int headerLines;

    Unit(Block block, Class<?> prelude, String imports, int n) {
      super(URI.create("string:///" + PACKAGE.replace('.', '/') + "/" + className(block.file(), n) + ".java"), Kind.SOURCE);
      this.block = block;
      String header = "package " + PACKAGE + ";\n" + imports
          + "@SuppressWarnings(\"all\")\npublic final class " + className(block.file(), n) + " extends " + prelude.getSimpleName() + " {\n"
          + "  public void example() throws Exception {\n";
      this.headerLines = (int) header.lines().count();
      this.text = header + block.code() + "  }\n}\n";
    }

    private static String className(String file, int n) {
      return "Example_" + file.replaceAll("[^A-Za-z0-9]", "_") + "_" + n;
    }

    String where(long line) {
      long inBlock = line - headerLines - 1;
      if (inBlock < 0) return block.file() + ":" + block.firstLine() + " (in the code around the example: the prelude or its imports)";
      return block.file() + ":" + (block.firstLine() + inBlock);
    }

    @Override
    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
      return text;
    }

    @Override
    public String toString() {
      return block.file() + ":" + block.firstLine();
    }
  }
}
