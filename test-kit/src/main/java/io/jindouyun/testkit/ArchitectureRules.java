package io.jindouyun.testkit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The architecture rules the modules share, checked with ArchUnit on the compiled main classes: a
 * type named in code with its fully qualified name counts like an imported one, and annotations,
 * generic arguments and method calls count too. Each module's {@code ArchitectureTests} applies
 * these to its own packages and adds its own rules.
 */
public final class ArchitectureRules {

  /**
   * Framework and transport packages that pure logic keeps away from: Spring, Kafka, jetcd, Netty,
   * Reactor and gRPC.
   */
  public static final List<String> FRAMEWORKS =
      List.of(
          "org.springframework..",
          "org.apache.kafka..",
          "io.etcd..",
          "io.netty..",
          "reactor..",
          "io.grpc..");

  private ArchitectureRules() {}

  /**
   * The main classes of {@code rootPackage} and its subpackages: neither test classes nor classes
   * in jars.
   *
   * @throws IllegalStateException when there are none (a wrong package would pass every rule)
   */
  public static JavaClasses mainClasses(String rootPackage) {
    JavaClasses classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages(rootPackage);
    if (classes.isEmpty()) {
      throw new IllegalStateException("no main classes in " + rootPackage);
    }
    return classes;
  }

  /**
   * No cycles between the packages right under {@code rootPackage}, each taken with its subpackages
   * (the root package itself, where an application class lives, is no slice).
   */
  public static ArchRule featurePackagesAreFreeOfCycles(String rootPackage) {
    return slices()
        .matching(rootPackage + ".(*)..")
        .namingSlices("$1")
        .as("the feature packages of " + rootPackage)
        .should()
        .beFreeOfCycles();
  }

  /** No class in {@code packages} (ArchUnit package patterns) uses a {@link #FRAMEWORKS} type. */
  public static ArchRule noFrameworkIn(String... packages) {
    return noClasses()
        .that()
        .resideInAnyPackage(packages)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(FRAMEWORKS.toArray(String[]::new));
  }

  /**
   * Checks that the named classes (fully qualified; with their nested classes) use no {@link
   * #FRAMEWORKS} type.
   *
   * @throws AssertionError when one of them is missing or uses one
   */
  public static void checkNoFrameworkInClasses(JavaClasses classes, String... names) {
    for (String name : names) {
      if (!classes.contain(name)) {
        throw new AssertionError("no class " + name + " to check");
      }
    }
    noClasses()
        .that(named(names))
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(FRAMEWORKS.toArray(String[]::new))
        .check(classes);
  }

  /** The named classes (fully qualified) and the classes nested in them. */
  public static DescribedPredicate<JavaClass> named(String... names) {
    List<String> all = List.of(names);
    return DescribedPredicate.describe(
        "are named " + all,
        c -> all.stream().anyMatch(n -> c.getName().equals(n) || c.getName().startsWith(n + "$")));
  }

  /**
   * A call that blocks its thread: Reactor's {@code block}, {@code blockFirst}, {@code blockLast}
   * and {@code blockOptional}, {@code Thread.sleep} and {@code TimeUnit.sleep}.
   */
  public static DescribedPredicate<JavaMethodCall> blockingCall() {
    return DescribedPredicate.describe(
        "a blocking call (Reactor's block*, Thread.sleep, TimeUnit.sleep)",
        call -> {
          String owner = call.getTargetOwner().getName();
          String name = call.getName();
          return (owner.startsWith("reactor.core.publisher.") && name.startsWith("block"))
              || (name.equals("sleep")
                  && (owner.equals(Thread.class.getName())
                      || owner.equals(TimeUnit.class.getName())));
        });
  }

  /** No class blocks its thread ({@link #blockingCall()}). */
  public static ArchRule nothingBlocks() {
    return noClasses().should().callMethodWhere(blockingCall()).as("no class blocks or sleeps");
  }
}
