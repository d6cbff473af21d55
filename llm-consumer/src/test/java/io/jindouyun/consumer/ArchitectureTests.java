package io.jindouyun.consumer;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import io.jindouyun.testkit.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * Package rules on the consumer's compiled main classes: no cycles between the feature packages and
 * nothing depends on the wiring ({@code config}); the run logic ({@code job}) and {@code reply}
 * free of Spring, Kafka, etcd, Netty and gRPC, the plain classes free of Reactor too; Kafka only in
 * the adapters ({@code kafka}) and the wiring; no blocking call outside the adapters' own and
 * shutdown threads and the LLM client's {@code close}.
 */
class ArchitectureTests {

  private static final String ROOT = "io.jindouyun.consumer";
  private static final String LLM_CLIENT = ROOT + ".llm.OpenAiStreamingClient";
  private static final JavaClasses MAIN = ArchitectureRules.mainClasses(ROOT);

  /** Plain logic: unit-tested in milliseconds, no framework or transport type at all. */
  private static final String[] PURE = {
    ROOT + ".reply.ChunkCoalescer",
    ROOT + ".job.OffsetTracker",
    ROOT + ".job.FlowControl",
    ROOT + ".job.AttemptStamps",
    ROOT + ".job.JobParser",
    ROOT + ".job.InFlightJobs",
    ROOT + ".job.FailureClassifier",
    ROOT + ".llm.OpenAiStreamParser",
    ROOT + ".llm.SseFramer"
  };

  @Test
  void featurePackagesHaveNoCycles() {
    ArchitectureRules.featurePackagesAreFreeOfCycles(ROOT).check(MAIN);
  }

  @Test
  void nothingDependsOnTheWiring() {
    noClasses()
        .that()
        .resideOutsideOfPackage(ROOT + ".config..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(ROOT + ".config..")
        .check(MAIN);
  }

  /** The run drives the LLM's {@code Flux} on a Reactor scheduler: Reactor itself is allowed. */
  @Test
  void theRunLogicUsesNoSpringKafkaEtcdNettyOrGrpc() {
    noClasses()
        .that()
        .resideInAPackage(ROOT + ".job..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.springframework..",
            "org.apache.kafka..",
            "io.etcd..",
            "io.netty..",
            "reactor.netty..",
            "io.grpc..")
        .check(MAIN);
  }

  @Test
  void replyUsesNoFrameworkOrTransport() {
    ArchitectureRules.noFrameworkIn(ROOT + ".reply..").check(MAIN);
  }

  @Test
  void plainClassesUseNoFrameworkOrTransport() {
    ArchitectureRules.checkNoFrameworkInClasses(MAIN, PURE);
  }

  @Test
  void onlyTheAdaptersAndTheWiringUseKafkaOrEtcd() {
    noClasses()
        .that()
        .resideOutsideOfPackages(ROOT + ".kafka..", ROOT + ".config..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.kafka..", "org.springframework.kafka..", "io.etcd..")
        .check(MAIN);
  }

  /**
   * The adapters block on their own threads (the control reader waiting for its topic) and on the
   * shutdown thread (draining the job consumers); the LLM client's {@code close} waits for its
   * event loops. Nothing else blocks.
   */
  @Test
  void onlyTheAdaptersAndTheLlmClientsCloseBlock() {
    noClasses()
        .that()
        .resideOutsideOfPackage(ROOT + ".kafka..")
        .should()
        .callMethodWhere(
            ArchitectureRules.blockingCall()
                .and(
                    DescribedPredicate.describe(
                        "not in OpenAiStreamingClient.close()",
                        call ->
                            !(call.getOriginOwner().getName().equals(LLM_CLIENT)
                                && call.getOrigin().getName().equals("close")))))
        .check(MAIN);
  }
}
