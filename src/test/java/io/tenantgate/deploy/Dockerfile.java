package io.tenantgate.deploy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docker/Dockerfile read statically (no Docker engine on the build machines): its instructions per
 * stage, with line continuations joined and {@code ${ARG}} defaults substituted.
 */
record Dockerfile(List<Stage> stages) {
  record Instruction(String keyword, String args) {
  }

  record Stage(String image, String name, List<Instruction> instructions) {
    List<String> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::args).toList();
    }

    String last(String keyword) {
      List<String> found = all(keyword);
      if (found.isEmpty()) {
        throw new AssertionError("no " + keyword + " in stage " + (name == null ? image : name));
      }
      return found.get(found.size() - 1);
    }
  }

  private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

  static Dockerfile parse(String text) {
    List<String> lines = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : text.split("\n", -1)) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
      } else {
        current.append(line);
        lines.add(current.toString().strip());
        current.setLength(0);
      }
    }
    Map<String, String> args = new HashMap<>();
    List<Stage> stages = new ArrayList<>();
    List<Instruction> instructions = null;
    for (String line : lines) {
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split("\\s+", 2);
      String keyword = parts[0].toUpperCase(java.util.Locale.ROOT);
      String rest = substitute(parts.length > 1 ? parts[1] : "", args);
      if (keyword.equals("ARG") && rest.contains("=")) {
        args.put(rest.substring(0, rest.indexOf('=')).strip(), rest.substring(rest.indexOf('=') + 1).strip());
      }
      if (keyword.equals("FROM")) {
        String[] from = rest.split("\\s+");
        instructions = new ArrayList<>();
        String name = from.length >= 3 && from[1].equalsIgnoreCase("AS") ? from[2] : null;
        stages.add(new Stage(from[0], name, instructions));
      } else if (instructions != null) {
        instructions.add(new Instruction(keyword, rest));
      }
    }
    return new Dockerfile(stages);
  }

  private static String substitute(String s, Map<String, String> args) {
    Matcher m = VAR.matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(args.getOrDefault(m.group(1), m.group())));
    }
    m.appendTail(out);
    return out.toString();
  }

  Stage runtime() {
    return stages.get(stages.size() - 1);
  }

  Stage stage(String name) {
    return stages.stream().filter(s -> name.equals(s.name())).findFirst()
        .orElseThrow(() -> new AssertionError("no stage " + name));
  }

  /** An exec-form (JSON array) instruction's arguments. */
  static List<String> exec(String args) {
    String json = args.strip();
    if (!json.startsWith("[")) {
      throw new AssertionError("not exec form: " + args);
    }
    List<String> out = new ArrayList<>();
    DeployFiles.yaml(json).forEach(n -> out.add(n.asText()));
    return out;
  }
}
