package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class ChipCatalogueTest {

    private final ChipCatalogue chips = ChipCatalogue.defaults();

    @Test
    void holdsTheElevenChipsOfSection10WithSources() {
        assertThat(chips.all()).extracting(ChipSpec::name).containsExactly(
                "A100-40G", "A100-80G", "H100", "H800", "H20", "L40S", "L20", "Ascend-910B", "MI300X", "V100", "T4");
        assertThat(chips.all()).allSatisfy(c -> {
            assertThat(c.source()).as(c.name()).hasSizeGreaterThan(30);
            assertThat(c.tflops()).as(c.name()).isPositive();
            assertThat(c.memoryGb()).as(c.name()).isPositive();
            assertThat(c.memBandwidthTBps()).as(c.name()).isPositive();
        });
        // every figure we could tie to a vendor page carries its URL or the document it comes from
        assertThat(chips.all()).filteredOn(c -> !c.unverified())
                .allSatisfy(c -> assertThat(c.source()).containsAnyOf("https://", "product brief"));
    }

    @Test
    void carriesTheDenseFiguresAndMarksTheUnverifiedOnes() {
        assertThat(chips.get("A100-80G")).isEqualTo(new ChipSpec("A100-80G", 312, 80, 2.039, false,
                chips.get("A100-80G").source()));
        assertThat(chips.get("H100").tflops()).isEqualTo(989);      // not the 1,979 sparse figure
        assertThat(chips.get("H20").tflops()).isEqualTo(148);
        assertThat(chips.get("H20").memoryGb()).isEqualTo(96);
        assertThat(chips.get("Ascend-910B").tflops()).isEqualTo(320);
        assertThat(chips.get("MI300X").memoryGb()).isEqualTo(192);
        assertThat(chips.all()).filteredOn(ChipSpec::unverified).extracting(ChipSpec::name)
                .containsExactlyInAnyOrder("L20", "Ascend-910B");
        assertThat(chips.get("Ascend-910B").source()).contains("UNVERIFIED").contains("280").contains("376");
    }

    @Test
    void unknownChipNamesItAndListsTheKnownOnes() {
        assertThatThrownBy(() -> chips.get("B200"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown chip 'B200'")
                .hasMessageContaining("A100-40G, A100-80G, H100")
                .hasMessageContaining("T4");
        assertThat(chips.find("B200")).isEmpty();
        assertThat(chips.find(null)).isEmpty();
    }

    @Test
    void lookupIgnoresCase() {
        assertThat(chips.find("h20")).map(ChipSpec::name).contains("H20");
        assertThat(chips.get(" ascend-910b ").name()).isEqualTo("Ascend-910B");
    }

    @Test
    void withAddsOrReplacesInACopy() {
        ChipSpec b200 = new ChipSpec("B200", 2250, 192, 8.0, true, "test figure");
        ChipSpec slowH20 = new ChipSpec("H20", 100, 96, 4.0, false, "measured override");

        ChipCatalogue extended = chips.with(b200).with(slowH20);

        assertThat(extended.get("B200")).isEqualTo(b200);
        assertThat(extended.get("H20")).isEqualTo(slowH20);
        assertThat(extended.all()).hasSize(12);
        assertThat(chips.find("B200")).isEmpty();
        assertThat(chips.get("H20").tflops()).isEqualTo(148);
    }

    @Test
    void parserRejectsReorderedColumnsAndBadRows() throws Exception {
        assertThatThrownBy(() -> ChipCatalogue.parse(reader("name,memory_gb,tflops,mem_bandwidth_tbps,unverified,source\n")))
                .hasMessageContaining("expected header");
        String header = "name,tflops,memory_gb,mem_bandwidth_tbps,unverified,source\n";
        assertThatThrownBy(() -> ChipCatalogue.parse(reader(header + "X,1,2,3,maybe,src\n")))
                .hasMessageContaining("line 2").hasMessageContaining("maybe");
        assertThatThrownBy(() -> ChipCatalogue.parse(reader(header + "X,0,2,3,false,src\n")))
                .hasMessageContaining("tflops must be positive");
        assertThat(ChipCatalogue.parse(reader("# c\n" + header + "X,1,2,3,TRUE,\"a, \"\"b\"\"\"\n")))
                .containsExactly(new ChipSpec("X", 1, 2, 3, true, "a, \"b\""));
    }

    private static BufferedReader reader(String text) {
        return new BufferedReader(new StringReader(text));
    }
}
