using Hotpath.Api.Data;
using Hotpath.Api.Errors;
using Hotpath.Api.Products;
using Microsoft.EntityFrameworkCore;

namespace Hotpath.Bench.Host;

/// <summary>
/// The sample's product reads (<c>/api/products</c>, <c>/featured</c>, <c>/{id}</c>) behind the engine this
/// host runs. Reads only: the benchmarks measure hits and misses, and the sample's writes need its sessions.
/// </summary>
internal static class BenchProductEndpoints
{
    public static RouteGroupBuilder MapBenchProducts(this IEndpointRouteBuilder app, BenchEngine engine)
    {
        var group = app.MapGroup("/api/products");
        if (engine == BenchEngine.OutputCache)
        {
            // The sample's handlers, with the same policy as its CacheResponse calls written for the framework's
            // CacheOutput (whose default policy also refuses authenticated requests and caches only 200s).
            // Passed as Delegate values: ASP.NET Core's route-handler analyzer fails on a method group that
            // lives in another assembly.
            Delegate page = ProductEndpoints.GetPageAsync, featured = ProductEndpoints.GetFeaturedAsync, item = ProductEndpoints.GetByIdAsync;
            group.MapGet("/", page).CacheOutput(static policy => policy
                .Expire(ProductCacheKeys.ResponseTtl)
                .Tag(ProductCacheKeys.ListTag)
                .SetVaryByQuery("page", "pageSize")
                .AddPolicy<OutputCacheHitHeader>());
            group.MapGet("/featured", featured);
            group.MapGet("/{id:int}", item).CacheOutput(static policy => policy
                .Expire(ProductCacheKeys.ResponseTtl)
                .Tag(ProductCacheKeys.ListTag)
                .AddPolicy<OutputCacheHitHeader>());
            return group;
        }

        // Uncached: the sample's queries, run on every request, with its validation.
        group.MapGet("/", static async Task<IResult> (int? page, int? pageSize, IDbContextFactory<AppDbContext> contexts, CancellationToken ct) =>
        {
            var (p, size) = (page ?? 1, pageSize ?? 20);
            return ProductEndpoints.ValidatePage(p, size) is { } errors
                ? Problems.Validation(errors)
                : TypedResults.Ok(await ProductQueries.PageAsync(contexts, p, size, ct));
        });
        group.MapGet("/featured", static async (IDbContextFactory<AppDbContext> contexts, CancellationToken ct) =>
            TypedResults.Ok(await ProductQueries.FeaturedAsync(contexts, ct)));
        group.MapGet("/{id:int}", static async Task<IResult> (int id, IDbContextFactory<AppDbContext> contexts, CancellationToken ct) =>
            await ProductQueries.ByIdAsync(contexts, id, ct) is { } product
                ? TypedResults.Ok(product)
                : Problems.NotFound($"No product has id {id}."));
        return group;
    }
}
