package dev.rollback.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.lb.internal.Transitions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class RoutingStateProperties {

  @Provide
  Arbitrary<RoutingState> states() {
    Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('.', '-', '_')
        .ofMinLength(1).ofMaxLength(12).filter(s -> Character.isLetterOrDigit(s.charAt(0)));
    Arbitrary<ServerRoute> routes = Combinators.combine(Arbitraries.integers().between(0, 256),
        Arbitraries.of(AdminState.class)).as(ServerRoute::of);
    return Arbitraries.maps(names, routes).ofMinSize(1).ofMaxSize(6)
        .map(m -> RoutingState.of("app", new LinkedHashMap<>(m)));
  }

  @Property
  void everyStateSurvivesTheJournal(@ForAll("states") RoutingState state) {
    assertThat(RoutingState.fromSnapshot(state.toSnapshot())).isEqualTo(state);
  }

  @Property
  void serversThatGainTrafficAreChangedBeforeServersThatLoseIt(@ForAll("states") RoutingState current,
      @ForAll("states") RoutingState other) {
    // a target over the same servers as current
    Map<String, ServerRoute> t = new LinkedHashMap<>();
    List<ServerRoute> routes = List.copyOf(other.servers().values());
    int i = 0;
    for (String name : current.servers().keySet()) t.put(name, routes.get(i++ % routes.size()));
    RoutingState target = RoutingState.of("app", t);

    List<Transitions.ServerChange> changes = Transitions.ordered(current, target);

    int firstLoser = changes.size();
    for (int j = 0; j < changes.size(); j++) if (!changes.get(j).gains()) { firstLoser = j; break; }
    assertThat(changes.subList(firstLoser, changes.size())).noneMatch(Transitions.ServerChange::gains);
    assertThat(changes).allMatch(c -> !c.from().sameRouting(c.to()));
    // capacity never drops to zero mid-way when the target has capacity: after the gainers, someone serves
    if (target.hasCapacity()) {
      RoutingState mid = current;
      for (Transitions.ServerChange c : changes.subList(0, firstLoser)) mid = mid.withServer(c.server(), c.to());
      assertThat(mid.hasCapacity()).isTrue();
    }
  }
}
