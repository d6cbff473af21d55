package io.jindouyun.support;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.jindouyun.testkit.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * Package rules on the shared code's compiled main classes: no cycles between the feature packages;
 * {@code backoff} plain Java; the metrics calculators free of framework and transport types; etcd
 * only in {@code etcd} and {@code registration}; gRPC only in {@code metrics} and {@code etcd}; no
 * blocking call outside {@code registration} (which waits, bounded, for the first registration at
 * start-up and for its drain delay at shutdown).
 */
class ArchitectureTests {

  private static final String ROOT = "io.jindouyun.support";
  private static final JavaClasses MAIN = ArchitectureRules.mainClasses(ROOT);

  @Test
  void featurePackagesHaveNoCycles() {
    ArchitectureRules.featurePackagesAreFreeOfCycles(ROOT).check(MAIN);
  }

  @Test
  void backoffIsPlainJava() {
    classes()
        .that()
        .resideInAPackage(ROOT + ".backoff..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage("java..", ROOT + ".backoff..")
        .check(MAIN);
  }

  @Test
  void metricsCalculatorsUseNoFrameworkOrTransport() {
    ArchitectureRules.checkNoFrameworkInClasses(
        MAIN,
        ROOT + ".metrics.SnapshotCalculator",
        ROOT + ".metrics.Sample",
        ROOT + ".metrics.MeterTotals",
        ROOT + ".metrics.ProcessFigures",
        ROOT + ".metrics.ProcessProbe",
        ROOT + ".metrics.CpuStat",
        ROOT + ".metrics.CgroupCpuFiles",
        ROOT + ".metrics.GcPauses");
  }

  @Test
  void onlyTheEtcdClientAndRegistrationUseEtcd() {
    noClasses()
        .that()
        .resideOutsideOfPackages(ROOT + ".etcd..", ROOT + ".registration..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.etcd..")
        .check(MAIN);
  }

  /** The metrics service serves gRPC; the etcd lease keeps alive over a gRPC stream observer. */
  @Test
  void onlyTheMetricsServiceAndTheEtcdClientUseGrpc() {
    noClasses()
        .that()
        .resideOutsideOfPackages(ROOT + ".metrics..", ROOT + ".etcd..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.grpc..")
        .check(MAIN);
  }

  /**
   * Self-registration waits, bounded, for its first registration on the start-up thread and for its
   * drain delay on the shutdown thread; nothing else blocks.
   */
  @Test
  void onlyTheRegistrationsDrainBlocks() {
    noClasses()
        .that()
        .resideOutsideOfPackage(ROOT + ".registration..")
        .should()
        .callMethodWhere(ArchitectureRules.blockingCall())
        .check(MAIN);
  }
}
