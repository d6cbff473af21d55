package io.jindouyun.history;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.jindouyun.testkit.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * The history module's rules: its values and pure logic free of frameworks; nothing blocks but the
 * database's opening and closing (start-up and shutdown, {@link HistoryDatabase}).
 */
class ArchitectureTests {

  private static final String ROOT = "io.jindouyun.history";
  private static final JavaClasses MAIN = ArchitectureRules.mainClasses(ROOT);

  @Test
  void valuesAndPureLogicUseNoFramework() {
    ArchitectureRules.checkNoFrameworkInClasses(
        MAIN,
        ROOT + ".ContextBudget",
        ROOT + ".Cursors",
        ROOT + ".Turn",
        ROOT + ".Message",
        ROOT + ".ConversationSummary",
        ROOT + ".ConversationPage",
        ROOT + ".StoreResult");
  }

  @Test
  void onlyOpeningAndClosingTheDatabaseBlocks() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName(ROOT + ".HistoryDatabase")
        .should()
        .callMethodWhere(ArchitectureRules.blockingCall())
        .check(MAIN);
  }
}
