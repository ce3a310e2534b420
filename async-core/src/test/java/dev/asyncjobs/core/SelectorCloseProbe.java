package dev.asyncjobs.core;

/**
 * Child-JVM probe: opens and closes a private AsyncSelector, then prints whether the shared
 * selector's thread exists (it must not: nothing asked for it).
 */
final class SelectorCloseProbe {
    private SelectorCloseProbe() {
    }

    public static void main(String[] args) {
        AsyncSelector.open("private-selector").close();
        boolean shared = Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("asyncjobs-selector"));
        System.out.println("shared selector started: " + shared);
    }
}
