package io.jindouyun.contract;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.jindouyun.testkit.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * The contract is plain Java that every service and test can use: it depends on the JDK, the
 * generated protobuf messages, protobuf's JSON mapping and Jackson, and on nothing else (no
 * framework, no transport).
 */
class ArchitectureTests {

  private static final JavaClasses MAIN = ArchitectureRules.mainClasses("io.jindouyun.contract");

  @Test
  void theContractDependsOnPlainLibrariesOnly() {
    classes()
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            "java..",
            "io.jindouyun.contract..",
            "io.jindouyun.proto..",
            "com.google.protobuf..",
            "tools.jackson..")
        .check(MAIN);
  }
}
