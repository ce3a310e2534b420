/**
 * The Spring Boot 4 auto-configuration of asyncjobs: job loops, their Reactor scheduler, an offload
 * engine and {@code AsyncCrypto} as beans configured under {@code asyncjobs.*} ({@link
 * dev.asyncjobs.spring.boot.AsyncJobsProperties}), Micrometer meters and a health indicator when
 * the application has them, and a shutdown order ({@link dev.asyncjobs.spring.boot.AsyncJobsLifecycle})
 * that lets the web server finish its requests before the engine and the loops close. Every bean
 * backs off when the application defines its own. See docs/spring-boot.md.
 */
@NullMarked
package dev.asyncjobs.spring.boot;

import org.jspecify.annotations.NullMarked;
