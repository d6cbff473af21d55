package io.jindouyun.devllm;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Rules on the development LLM's compiled main classes (ArchUnit; the module is one package, so the
 * rules name its HTTP layer): only that layer uses Netty, Reactor or Reactive Streams, the answer
 * logic is plain Java; only {@code main} blocks, waiting for the server to close.
 */
class ArchitectureTests {

  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
          .importPackages("io.jindouyun.devllm");

  /** The HTTP layer on reactor-netty. */
  private static final DescribedPredicate<? super JavaClass> HTTP_LAYER =
      belongToAnyOf(
          DevLlmMain.class,
          DevLlmServer.class,
          ChatCompletionsHandler.class,
          JsonAnswerWriter.class,
          SseAnswerWriter.class,
          Replies.class);

  @Test
  void onlyTheHttpLayerUsesNettyOrReactor() {
    noClasses()
        .that(not(HTTP_LAYER))
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.netty..", "reactor..", "org.reactivestreams..")
        .as("only the HTTP layer uses Netty, Reactor or Reactive Streams")
        .check(MAIN);
  }

  @Test
  void onlyMainBlocks() {
    DescribedPredicate<JavaMethodCall> blocking =
        DescribedPredicate.describe(
            "a blocking call (Reactor's block*, Thread.sleep)",
            call ->
                (call.getTargetOwner().getPackageName().equals("reactor.core.publisher")
                        && call.getName().startsWith("block"))
                    || (call.getTargetOwner().isEquivalentTo(Thread.class)
                        && call.getName().equals("sleep")));
    noClasses()
        .that(not(belongToAnyOf(DevLlmMain.class)))
        .should()
        .callMethodWhere(blocking)
        .as("only DevLlmMain blocks")
        .check(MAIN);
  }
}
