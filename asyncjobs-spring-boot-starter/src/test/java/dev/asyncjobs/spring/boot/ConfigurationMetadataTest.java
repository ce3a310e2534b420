package dev.asyncjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The metadata IDEs complete {@code asyncjobs.*} from (written by spring-boot-configuration-processor
 * at compile time): the placement properties are in it, with their descriptions and defaults.
 */
class ConfigurationMetadataTest {

    private static String metadata() throws IOException {
        try (InputStream in = ConfigurationMetadataTest.class.getClassLoader()
                .getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("META-INF/spring-configuration-metadata.json").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The JSON object of {@code name} (the processor writes flat objects, one per property). */
    private static String property(String json, String name) {
        Matcher m = Pattern.compile("\\{[^{}]*\"name\"\\s*:\\s*\"" + Pattern.quote(name) + "\"[^{}]*}").matcher(json);
        assertThat(m.find()).as("property %s in the metadata", name).isTrue();
        return m.group();
    }

    @Test
    void thePlacementPropertiesAreDescribedWithTheirDefaults() throws IOException {
        String json = metadata();
        assertThat(property(json, "asyncjobs.placement"))
                .contains("\"type\": \"dev.asyncjobs.spring.boot.AsyncJobsProperties$Placement\"")
                .contains("\"defaultValue\": \"loops\"")
                .contains("Netty event loop")
                .contains("async-netty");
        assertThat(property(json, "asyncjobs.event-loop.max-jobs"))
                .contains("\"type\": \"java.lang.Integer\"")
                .contains("\"defaultValue\": 0")
                .contains("each Netty event loop");
        // the settings that were there before are still described
        assertThat(property(json, "asyncjobs.loops.max-jobs-per-loop")).contains("\"defaultValue\": 0");
    }
}
