package io.crosstrain.inventory.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.AbstractDataSource;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import io.crosstrain.inventory.domain.ChipService;
import io.crosstrain.inventory.domain.HealthPolicy;
import io.crosstrain.inventory.domain.HealthTracker;
import io.crosstrain.inventory.domain.InventoryService;
import io.crosstrain.inventory.domain.LinkService;
import io.crosstrain.inventory.domain.ProfileService;
import io.crosstrain.inventory.persistence.ChipRepository;
import io.crosstrain.inventory.persistence.DatacenterRepository;
import io.crosstrain.inventory.persistence.DeviceEventRepository;
import io.crosstrain.inventory.persistence.DeviceRepository;
import io.crosstrain.inventory.persistence.LinkRepository;
import io.crosstrain.inventory.persistence.NodeRepository;
import io.crosstrain.inventory.persistence.ProfileRepository;
import io.crosstrain.planner.ChipCatalogue;

/**
 * The real services and repositories behind the controllers of a {@code @WebMvcTest}, over a data source that
 * refuses every connection. Request validation happens before any database access, so a rejected request never
 * reaches it; a request that wrongly got through would fail with 500 instead of the expected 4xx.
 */
@TestConfiguration
@Import({InventoryService.class, LinkService.class, ChipService.class, ProfileService.class, HealthTracker.class,
        DatacenterRepository.class, NodeRepository.class, DeviceRepository.class, DeviceEventRepository.class,
        LinkRepository.class, ChipRepository.class, ProfileRepository.class})
class WebSlice {

    @Bean
    JdbcClient jdbcClient() {
        return JdbcClient.create(new AbstractDataSource() {
            @Override
            public Connection getConnection() throws SQLException {
                throw new SQLException("a web slice test has no database");
            }

            @Override
            public Connection getConnection(String username, String password) throws SQLException {
                return getConnection();
            }
        });
    }

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    HealthPolicy healthPolicy() {
        return new HealthPolicy(Duration.ofSeconds(15), Duration.ofSeconds(60));
    }

    @Bean
    ChipCatalogue chipCatalogue() {
        return ChipCatalogue.defaults();
    }

    /** Asserts a problem+json answer with this status whose first culprit and error list name {@code field}. */
    static void assertProblem(MvcTestResult result, int status, String field) {
        assertThat(result).hasStatus(status).hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(result).bodyJson().extractingPath("$.status").isEqualTo(status);
        assertThat(result).bodyJson().extractingPath("$.field").isEqualTo(field);
        assertThat(result).bodyJson().extractingPath("$.errors[*].field").asArray().contains(field);
    }
}
